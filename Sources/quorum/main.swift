print("quorum")
