"""Portal API keys and the gateway: integrations call Qualtrics through the portal with a key of their own,
never holding a connection's Qualtrics token."""
