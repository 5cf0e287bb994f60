"""The one exception type users see: its message is a single sentence naming what is wrong."""


class LawmError(Exception):
    """Bad input or state that the user can fix; the command line prints it without a traceback."""


class LawmWarning(UserWarning):
    """Something the user should know that does not stop the command (e.g. a dataset file without checksums);
    the command line prints it as one ``lawm: note:`` line."""
