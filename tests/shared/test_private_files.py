"""Key and secret files made on first start: replicas of a service starting together in one data folder (as
`sortes up` and the systemd units start them) end up holding the same keys, and nobody fails."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

from shared.crypto.blind_index import ensure_blind_index_key_file
from shared.crypto.field_encryption import ensure_key_file
from shared.signing_keys import ensure_private_key, ensure_secret_file, key_id_of

RACERS = 8


def _start_like_a_replica(folder: str, ready: multiprocessing.synchronize.Barrier, answers: multiprocessing.Queue
                          ) -> None:
    ready.wait()
    try:
        key = ensure_private_key(Path(folder) / "experts-audit.pem")
        secret = ensure_secret_file(Path(folder) / "api-key-digest.key")
        data_keys = ensure_key_file(Path(folder) / "data-keys")
        blind_index = ensure_blind_index_key_file(Path(folder) / "blind-index.key")
        answers.put(("ok", key_id_of(key.public_key()), secret.hex(), data_keys.active.key_id,
                     blind_index.index_id_number("330326198001010012")))
    except Exception as error:
        answers.put(("failed", type(error).__name__, str(error)))


def test_replicas_starting_together_share_one_key_and_one_secret(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for attempt in range(5):  # the race is in the file system's timing: several rounds, fresh folders
        folder = tmp_path / f"keys-{attempt}"
        ready, answers = context.Barrier(RACERS), context.Queue()
        racers = [context.Process(target=_start_like_a_replica, args=(str(folder), ready, answers))
                  for _ in range(RACERS)]
        for racer in racers:
            racer.start()
        outcomes = [answers.get(timeout=30) for _ in racers]
        for racer in racers:
            racer.join(timeout=30)
        assert [outcome for outcome in outcomes if outcome[0] != "ok"] == []
        assert len({outcome[1:] for outcome in outcomes}) == 1  # the same keys and secret for all
        on_disk = ensure_private_key(folder / "experts-audit.pem")
        assert key_id_of(on_disk.public_key()) == outcomes[0][1]
        assert sorted(path.name for path in folder.iterdir()) == [
            "api-key-digest.key", "blind-index.key", "data-keys", "experts-audit.pem"]
        for path in folder.iterdir():  # owner-only, and no draft left behind
            assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_key_is_kept(tmp_path: Path) -> None:
    first = ensure_private_key(tmp_path / "gateway-identity.pem")
    again = ensure_private_key(tmp_path / "gateway-identity.pem")
    assert key_id_of(first.public_key()) == key_id_of(again.public_key())
    assert ensure_secret_file(tmp_path / "s.key") == ensure_secret_file(tmp_path / "s.key")
