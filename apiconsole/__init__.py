"""The API console: any authorised call to a connection's Qualtrics API, for its managers (and its
operators when a manager allows it), audited, with saved requests and a history of one's own calls."""
