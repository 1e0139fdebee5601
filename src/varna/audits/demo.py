"""PLACEHOLDER: being written."""


def load() -> bool:
    return False
