// Package cwc delivers letters through Communicating with Congress (CWC),
// the XML 2.0 channel House and Senate offices file as advocacy mail. It is
// a delivery.Sender adapter: BuildXML turns a delivery.Message into a CWC 2.0
// document, and Client posts it to the House (POST {HouseURL}/v2/message)
// or the Senate (POST {SenateURL}/api/messages/ or /api/testing-messages/),
// with the API key in the apikey query parameter.
//
// # Wire format
//
// Element order follows /work/shared/reference/cwc.md (CWC 2.0): CWCVersion,
// Delivery, Recipient, Constituent, Message. Only the elements this project
// has data for are written; every optional element is omitted rather than
// sent empty. Values are XML-escaped, control characters are stripped, and
// single-line fields that contain a line break are refused (they would be
// read as two fields by office CRMs, and are a header-injection risk in the
// other channels).
//
// # Errors
//
// HTTP 400 carries an XML body of <Error> elements; Send returns it as a
// *delivery.PermanentError whose Err is an *APIError and whose Detail lists
// the messages. CWC's messages can echo the rejected value (a public log
// shows "The value '<the constituent's email>' is invalid according to its
// datatype 'email_type'"), so messages are redacted before they leave this
// package: quoted values and any of the constituent's own fields are
// replaced by "[redacted]". 429 and 5xx, timeouts and dropped connections
// are *delivery.TemporaryError (429/503 with Retry-After honoured). 409,
// which the Senate documents as "duplicate DeliveryId", means an earlier
// attempt of this same letter was received, so it counts as accepted: the
// DeliveryId is stable across retries, which makes a retry after an unknown
// outcome safe. Errors never contain the API key or the constituent's data,
// and the package does not log.
//
// # Senate offices
//
// Only part of the Senate takes CWC. GET {SenateURL}/api/active_offices/
// answers a JSON array of {"name": "Alex Padilla [bioguide_id: P000145]",
// "office_code": "SCA03", ...}; the Client keeps that set in memory
// (RefreshActiveOffices, SetActiveOffices) and Accepts a senator only when
// the office code is in it. See SenateOfficeCode for how codes are formed.
//
// # Sources consulted (read, not copied)
//
//   - /work/shared/reference/cwc.md: element order, endpoints, error shape.
//   - EFForg/congress_forms lib/cwc/client.rb: POST /v2/message and
//     /v2/validate with ?apikey=, Content-Type xml, required delivery-agent
//     options (contact phone xxx-xxx-xxxx), "at least one of
//     organization_statement / constituent_message".
//   - EFForg/congress_forms lib/cwc/office.rb: active_offices is "a list of
//     structured JSON" keyed by "office_code"; the House list is plain codes.
//   - EFForg/congress_forms lib/congress_forms/cwc_form.rb: the supporter's
//     message is dropped when it equals the organization statement. Not
//     followed here: /work/shared/reference/cwc.md (corrected 2026-12-05)
//     has ConstituentMessage carry the whole letter the supporter reviewed,
//     which BuildXML always sends.
//   - EFForg/phantom-of-the-capitol app/models/congress_member.rb: senator
//     codes as "S" + state + (class-1) - contradicted by the data below.
//   - climatechangemakers/parse-congress-info ParseCWCActiveOffices.kt and
//     CombineCurrentLegislatorsTest.kt: active_offices is a top-level array
//     of {name, office_code}; bioguide id sits in the name; real codes
//     SCA03 (Padilla, class III), SMN01 (Klobuchar, class I), SME01 (King,
//     class I); American Samoa's House code is HAQ00.
//   - climatechangemakers/climate-changemakers-act .../communicatewithcongress
//     model/Prefix.kt and NetworkCommunicateWithCongressManager.kt: prefix
//     enumeration Mr., Mrs., Miss, Ms., Dr.; House POST {host}/v2/message.
//   - electorateme/cwc lib/cwc/utils/xml.rb, lib/cwc/api/message.rb and
//     lib/cwc/api/client.rb:
//     the full CWC 2.0 sample document (element names such as
//     DeliveryAgentContactName, OrganizationContactName) and error parsing
//     as "the text of every Error element"; Content-Type application/xml
//     (that client also prints the URL with the key - we never do).
//   - Unattributed public TypeScript CWC clients found by code search
//     (constants transcribed from the Senate incoming_xml_message_2_0.rng):
//     Content-Type must be application/xml (else 415), success is 201,
//     409 means duplicate DeliveryId, uid_type [a-zA-Z0-9]{32}, email_type
//     [^@]+@[^.]+\..+, the 32 LOC policy areas and 56 state codes.
package cwc
