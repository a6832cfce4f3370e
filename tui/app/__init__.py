"""The Textual app: screens and widgets that read the store."""
