"""lockstep keeps Salesforce orgs and the systems around them in agreement."""

__version__ = "0.1.0"
