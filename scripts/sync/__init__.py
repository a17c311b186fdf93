"""Delivery of CRM sync changes to outside systems (signed JSON webhooks)."""
