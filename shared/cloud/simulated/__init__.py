"""A working fake of Entra ID, Azure and Intune with state in Table Storage, for local runs and tests."""
