"""The reference government service portal: service guides, offices, appointments, applications.

``python -m portal`` serves the API of portal/API.md. See portal/README.md.
"""
