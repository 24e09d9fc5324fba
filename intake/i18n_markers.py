"""Translation markers for modules that must not import Flask.

``N_`` marks a string for extraction (see babel.cfg) and returns it unchanged; the
view layer translates it with ``gettext`` when it renders it, in the reader's
language.
"""


def N_(message: str) -> str:  # the conventional gettext marker name
    return message
