"""freelance-assistant: tracks a freelancer's invoices by mail and drafts what to send next."""

__version__ = "0.1.0"
