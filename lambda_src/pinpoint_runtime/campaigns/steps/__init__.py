"""The Step Functions steps of a campaign run (``pinpoint_constructs.CampaignRunner``), one module per step:
:mod:`.plan` (``campaign_planner``), :mod:`.pages` (``campaign_batch_sender``, calling hooks and channels through
:mod:`.invoker`) and :mod:`.summary` (``campaign_reporter``); :mod:`.settings` is what every step reads."""
