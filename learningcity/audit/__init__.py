"""The audit log: who changed what, when (staff actions on providers' data)."""
