"""cylinder-scanner: the appliance beside the filling scale."""
