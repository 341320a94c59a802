#!/usr/bin/env bash
# The README's walk-through (POLICY.md worked example 1) as a script: one case from post to close, then an auditor.
#   deploy/walkthrough.sh                      against the API of deploy/run-api.sh (http://127.0.0.1:5080)
#   API=http://host:port/api/v1 deploy/walkthrough.sh
# DEV_TOKEN overrides how development tokens are made (default: deploy/dev-token.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
API="${API:-http://127.0.0.1:5080/api/v1}"
DEV_TOKEN="${DEV_TOKEN:-deploy/dev-token.sh}"
OFFICER=$($DEV_TOKEN SafeguardingOfficer)
CLINICIAN=$($DEV_TOKEN Clinician)
AUDITOR=$($DEV_TOKEN Auditor)
json() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }   # pick a string field out of a JSON answer

# 1. An officer opens a case from a post by a 16-year-old.
CASE=$(curl -s -X POST $API/cases -H "Authorization: Bearer $OFFICER" -H 'Content-Type: application/json' \
  -d '{"channel":"Boards","sourceReference":"post-123","serviceUser":{"reference":"handle-9","ageYears":16},"summary":"Says a parent hits them"}' | json id)

# 2. The disclosure: when it was posted, and the concern it raises (current physical abuse of the service user).
DISCLOSURE=$(curl -s -X POST $API/cases/$CASE/disclosures -H "Authorization: Bearer $OFFICER" -H 'Content-Type: application/json' \
  -d "{\"disclosedAt\":\"$(date -u -d '-20 min' +%FT%TZ)\",\"channel\":\"Boards\",\"sourceReference\":\"post-123\",\"summary\":\"My dad hits me when he drinks\",\"concerns\":[{\"category\":\"Physical\",\"status\":\"Current\",\"personId\":\"service-user\"}]}" | json disclosureId)

# 3. A clinician's risk assessment: no threat to life, current physical abuse, recommends a non-emergency referral.
ASSESSMENT=$(curl -s -X POST $API/cases/$CASE/risk-assessments -H "Authorization: Bearer $CLINICIAN" -H 'Content-Type: application/json' \
  -d '{"assessments":[{"personId":"service-user","threatToLife":"None","currentConcerns":["Physical"],"recommendedRoute":"NonEmergency"}],"rationale":"Ongoing physical abuse at home"}' | json riskAssessmentId)

# 4. What the policy says now: NonEmergency Permitted (CHILD-SAFEGUARDING), Emergency NotPermitted.
curl -s $API/cases/$CASE/policy -H "Authorization: Bearer $OFFICER"

# 5. An emergency escalation is refused: 422 with ruleIds ["EMERGENCY-LIFE", ...], and nothing is recorded.
curl -s -X POST $API/cases/$CASE/escalations -H "Authorization: Bearer $OFFICER" -H 'Content-Type: application/json' \
  -d "{\"route\":\"Emergency\",\"agency\":\"Police999\",\"personId\":\"service-user\",\"riskAssessmentId\":\"$ASSESSMENT\",\"reliesOn\":[\"$DISCLOSURE\"],\"informationShared\":[\"Name\"]}"

# 6. The referral to children's social care is permitted; the answer keeps the decision it was made under.
ESCALATION=$(curl -s -X POST $API/cases/$CASE/escalations -H "Authorization: Bearer $OFFICER" -H 'Content-Type: application/json' \
  -H "Idempotency-Key: escalation-$CASE" \
  -d "{\"route\":\"NonEmergency\",\"agency\":\"ChildrensSocialCare\",\"personId\":\"service-user\",\"riskAssessmentId\":\"$ASSESSMENT\",\"reliesOn\":[\"$DISCLOSURE\"],\"informationShared\":[\"Name\",\"AddressOrLocation\",\"DisclosureSummary\"]}" | json escalationId)

# 7. Closing is refused while the transparency notice is owed (422, CLOSE-OBLIGATIONS)...
curl -s -X POST $API/cases/$CASE/close -H "Authorization: Bearer $OFFICER" -H 'Content-Type: application/json' -d '{"reason":"Referred"}'

# 8. ...so the officer tells the user what was shared, with whom and why, then closes the case.
curl -s -X POST $API/cases/$CASE/transparency-notices -H "Authorization: Bearer $OFFICER" -H 'Content-Type: application/json' \
  -d "{\"escalationId\":\"$ESCALATION\",\"message\":\"We shared your name, where you live and what you told us with children's social care, because you told us you are being hurt at home. A social worker may contact you.\",\"sentVia\":\"Boards private message\"}"
curl -s -X POST $API/cases/$CASE/close -H "Authorization: Bearer $OFFICER" -H 'Content-Type: application/json' -d '{"reason":"Referred and user told"}'

# 9. An auditor replays it, checks it has not been altered, and re-checks the escalation.
curl -s $API/cases/$CASE/history -H "Authorization: Bearer $AUDITOR"
curl -s $API/cases/$CASE/integrity -H "Authorization: Bearer $AUDITOR"      # {"valid":true,"events":6,"firstBrokenVersion":null}
curl -s "$API/audit/escalations?from=$(date -u -d '-1 hour' +%FT%TZ)" -H "Authorization: Bearer $AUDITOR"

echo
echo "Walk-through complete: case $CASE opened, referred, the user told, closed, audited."
