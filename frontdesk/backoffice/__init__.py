"""The back office: queues where handlers claim, answer and return referrals."""
