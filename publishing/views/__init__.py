"""Admin views of social publishing: the cross-post dashboard, connected accounts,
the FOI export and the homepage panel. Registered from ``wagtail_hooks.py``."""
