"""The incidents API: ``incidents`` (the incident viewset: list, open, one, every lifecycle step,
timeline, attachments, claims, import) and ``playbook`` (an incident's playbook checklist)."""
