"""An organization's people, run by its admins in the portal and the API:
invitations, roles, the admin flag, deactivation; staff create organizations."""
