"""What a wire listener needs to be secured: its security protocol, TLS contexts and
certificates, the principal taken from a client certificate, SCRAM credentials."""
