"""Small helpers for CHECK constraints shared by the models."""


def _quoted(values) -> str:
    # Our own constants (enum values), never user input.
    return ", ".join(f"'{v}'" for v in values)


def in_list(column: str, values) -> str:
    """SQL for `column IN ('a', 'b')`."""
    return f"{column} IN ({_quoted(values)})"


def not_in_list(column: str, values) -> str:
    """SQL for `column NOT IN ('a', 'b')`."""
    return f"{column} NOT IN ({_quoted(values)})"
