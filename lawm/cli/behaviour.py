def register(commands, train_commands) -> None:
    """Behaviour agents (issue 3) add their commands here."""
