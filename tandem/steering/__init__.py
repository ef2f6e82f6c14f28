"""Steering: shared indicators per territory, frozen quarterly snapshots, quarterly reports and Region–EPCI
conventions (issue 17). The indicators are declared by the modules that own the figures (`tandem.steering.registry`)."""
