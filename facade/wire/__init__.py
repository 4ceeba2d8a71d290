"""What the facade reads off and records of the wire, free of any server and of any dialect: shared by
whatever compares two servers' answers and whatever shows such comparisons."""
