"""The provider workspace (staff side): /staff/. Every view goes through permissions.py."""
