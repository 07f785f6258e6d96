# provhost {$MODULE_ID}: aastra.cfg, read by every Aastra/Mitel phone before its model
# and MAC files ("key: value" lines; Aastra Administrator Guide, Appendix A).
@ // Time zone: "Custom" with the offset in minutes *west* of UTC (Administrator Guide,
@ // "Time Zone & DST", second method); no daylight-saving rule (the offset is the PBX's).
time zone name: Custom
time zone minutes: {intval(-$TIMEZONE_OFFSET / 60)}
dst minutes: 0
