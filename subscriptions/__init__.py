"""Qualtrics event subscriptions: registered per connection, received and verified, shown live, forwarded."""
