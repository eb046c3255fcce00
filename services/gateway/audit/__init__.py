"""The three audit logs (the gateway's and the services') read and verified as one."""
