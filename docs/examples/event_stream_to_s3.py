"""An event lake fed by End User Messaging SMS and SES configuration sets."""

import aws_cdk as cdk

from pinpoint_constructs import EventStreamToS3


def build(stack: cdk.Stack) -> EventStreamToS3:
    lake = EventStreamToS3(stack, "EventLake")  # secure defaults, nothing else required
    lake.add_sms_configuration_set("SmsEvents")  # new End User Messaging configuration set
    lake.add_ses_configuration_set("EmailEvents")  # new SES configuration set
    lake.add_ses_configuration_set("Existing", existing_configuration_set_name="my-set")
    # lake.add_producer(my_function)  # app/custom events and delivery events (see "Writing events from code")
    return lake
