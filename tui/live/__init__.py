"""Live monitoring: discovery, tailing, the store and the engines, woken by file events."""
