"""SMS on AWS End User Messaging: inbound messages, sending and pacing, keywords and opt-outs, two-way SMS."""
