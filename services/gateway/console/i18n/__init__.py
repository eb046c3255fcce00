"""The console's words, in Chinese (the default) and English."""
