"""End-to-end tests: the real app over HTTP through devhost, with Azurite and the Azure emulator."""
