"""Record keys: every event gets a random record key when it is stored, for the follow-up's
disclosure control (varna.core.perturbation): a figure's adjustment is looked up by the sum of
its events' keys, so the same events always give the same figure. Never shown anywhere."""

import secrets

RECORD_KEY_RANGE = 2**31


def new_record_key() -> int:
    return secrets.randbelow(RECORD_KEY_RANGE)
