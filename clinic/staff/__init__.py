"""Staff accounts: the Staff page where a clinic admin creates staff, gives one role,
resets passwords and unlocks lockouts; the write actions behind it; and the admin rule that
only superusers may touch superuser, staff status, groups and permissions."""
