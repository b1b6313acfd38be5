print("lsm: tools arrive with the next issue")
