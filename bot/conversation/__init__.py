"""The channel-free conversation core: plain messages in, plain replies out (never imports telegram)."""
