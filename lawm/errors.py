"""The one exception type users see: its message is a single sentence naming what is wrong."""


class LawmError(Exception):
    """Bad input or state that the user can fix; the command line prints it without a traceback."""
