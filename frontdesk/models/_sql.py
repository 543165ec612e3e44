"""Small helpers for CHECK constraints shared by the models."""


def in_list(column: str, values) -> str:
    """SQL for `column IN ('a', 'b')`; values are our own constants, never user input."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
