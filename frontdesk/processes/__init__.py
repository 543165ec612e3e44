"""Process maps of case types: stored versions, editing, BPMN and event-log import."""
