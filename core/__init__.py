"""What several layers share and none owns: the database's schema names, push-token sealing.

api/, pipeline/ and migrations/ may import core/; core/ imports none of them (README, Layout).
"""
