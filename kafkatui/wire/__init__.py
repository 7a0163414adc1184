"""The Kafka wire protocol: each broker of a `Cluster` listening on its own TCP port
(`server`), framing and codecs (`codec`), and one module of request handlers per API
family, listed by key in `dispatch`."""
