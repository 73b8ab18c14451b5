"""The vocabulary of a terms document: severities, targets, clocks, parties, roles and the other enumerations."""

SEVERITIES = ("critical", "high", "medium", "low")
ENVIRONMENTS = ("production", "non_production")
TARGETS = ("acknowledge", "restore", "resolve")
CLOCKS = ("24x7", "coverage")
CHANGE_KINDS = ("major_release", "minor_release", "security_patch", "emergency", "maintenance")
METRICS = ("availability", "acknowledge", "restore", "resolve", "satisfaction")
OUTCOMES = ("revenue", "customer_experience", "regulatory_compliance", "operational_continuity")
ESCALATION_TRIGGERS = ("share_elapsed", "breach", "past_breach")
PARTIES = ("buyer", "vendor")
# Who carries out a playbook step or holds a RACI letter: a contract contact role
# (either side) or a membership role of that side's organization.
CONTACT_ROLES = ("incident_manager", "escalation_contact", "executive_sponsor", "billing")
MEMBER_ROLES = {"buyer": ("contract_manager", "operations"), "vendor": ("account_manager", "support_engineer")}
PARTY_ROLES = {party: (*CONTACT_ROLES, *MEMBER_ROLES[party]) for party in PARTIES}
ROLES = (*CONTACT_ROLES, *MEMBER_ROLES["buyer"], *MEMBER_ROLES["vendor"])
PLAYBOOK_TRIGGERS = ("on_open", "on_acknowledge", "share_elapsed", "on_breach")
RACI_LETTERS = ("R", "A", "C", "I", "")
