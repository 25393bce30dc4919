"""Two-way SMS on a US simulator number, inbound messages recorded in the event lake."""

import aws_cdk as cdk

from pinpoint_constructs import EventStreamToS3, TwoWaySms


def build(stack: cdk.Stack) -> TwoWaySms:
    lake = EventStreamToS3(stack, "EventLake")
    # US simulator number and the built-in auto-responder; other forms:
    #   TwoWaySms(stack, "Chat", number_type=NumberType.TEN_DLC, handler=my_function)  # your code answers
    #   TwoWaySms(stack, "Existing", existing_pool_id="pool-0123456789abcdef")  # a pool you already have
    return TwoWaySms(stack, "TwoWaySms", event_stream=lake)
