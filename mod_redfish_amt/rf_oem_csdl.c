/* The OEM CSDL that describes Oem.Intel on ComputerSystem and the
 * #IntelComputerSystem.* actions, so the DMTF Service Validator can check them
 * (redfish-peers §6: this shape validates with 0 warnings). */
#include "rf_oem_csdl.h"

#define ACTION(name, params)                                                                  \
    "      <Action Name=\"" name "\" IsBound=\"true\">\n"                                     \
    "        <Parameter Name=\"ComputerSystem\" Type=\"ComputerSystem.v1_0_0.OemActions\"/>\n" \
    params                                                                                    \
    "      </Action>\n"
#define CODE_PARAM                                                                            \
    "        <Parameter Name=\"ConsentCode\" Type=\"Edm.String\" Nullable=\"false\">\n"      \
    "          <Annotation Term=\"OData.Description\" String=\"The six-digit code shown on the system's screen.\"/>\n" \
    "        </Parameter>\n"

const char rf_oem_csdl[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n"
    "  <edmx:Reference Uri=\"http://docs.oasis-open.org/odata/odata/v4.0/errata03/csd01/complete/vocabularies/Org.OData.Core.V1.xml\">\n"
    "    <edmx:Include Namespace=\"Org.OData.Core.V1\" Alias=\"OData\"/>\n"
    "  </edmx:Reference>\n"
    "  <edmx:Reference Uri=\"http://redfish.dmtf.org/schemas/v1/RedfishExtensions_v1.xml\">\n"
    "    <edmx:Include Namespace=\"RedfishExtensions.v1_0_0\" Alias=\"Redfish\"/>\n"
    "  </edmx:Reference>\n"
    "  <edmx:Reference Uri=\"http://redfish.dmtf.org/schemas/v1/Resource_v1.xml\">\n"
    "    <edmx:Include Namespace=\"Resource\"/>\n"
    "    <edmx:Include Namespace=\"Resource.v1_0_0\"/>\n"
    "  </edmx:Reference>\n"
    "  <edmx:Reference Uri=\"http://redfish.dmtf.org/schemas/v1/ComputerSystem_v1.xml\">\n"
    "    <edmx:Include Namespace=\"ComputerSystem.v1_0_0\"/>\n"
    "  </edmx:Reference>\n"
    "  <edmx:DataServices>\n"
    "    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"IntelComputerSystem\">\n"
    "      <Annotation Term=\"Redfish.OwningEntity\" String=\"mod_redfish_amt\"/>\n"
    ACTION("RequestKVMConsent", "")
    ACTION("SubmitKVMConsentCode", CODE_PARAM)
    ACTION("CancelKVMConsent", "")
    ACTION("RequestSOLConsent", "")
    ACTION("SubmitSOLConsentCode", CODE_PARAM)
    ACTION("CancelSOLConsent", "")
    "      <Action Name=\"GenerateRedirectionToken\" IsBound=\"true\">\n"
    "        <Parameter Name=\"ComputerSystem\" Type=\"ComputerSystem.v1_0_0.OemActions\"/>\n"
    "        <Parameter Name=\"Mode\" Type=\"IntelComputerSystem.v1_0_0.RedirectionMode\">\n"
    "          <Annotation Term=\"OData.Description\" String=\"The stream the token opens: KVM (default) or SOL.\"/>\n"
    "        </Parameter>\n"
    "        <ReturnType Type=\"IntelComputerSystem.v1_0_0.RedirectionTokenResponse\" Nullable=\"false\"/>\n"
    "      </Action>\n"
    "      <Action Name=\"EndRedirectionSessions\" IsBound=\"true\">\n"
    "        <Annotation Term=\"OData.Description\" String=\"Ends the live KVM and/or SOL streams of this system at the relay (Administrator only).\"/>\n"
    "        <Parameter Name=\"ComputerSystem\" Type=\"ComputerSystem.v1_0_0.OemActions\"/>\n"
    "        <Parameter Name=\"Mode\" Type=\"IntelComputerSystem.v1_0_0.RedirectionMode\">\n"
    "          <Annotation Term=\"OData.Description\" String=\"The streams to end: KVM or SOL; both when absent.\"/>\n"
    "        </Parameter>\n"
    "      </Action>\n"
    "    </Schema>\n"
    "    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"IntelComputerSystem.v1_0_0\">\n"
    "      <Annotation Term=\"Redfish.OwningEntity\" String=\"mod_redfish_amt\"/>\n"
    "      <ComplexType Name=\"AMT\" BaseType=\"Resource.OemObject\">\n"
    "        <Annotation Term=\"OData.AdditionalProperties\" Bool=\"false\"/>\n"
    "        <Annotation Term=\"OData.Description\" String=\"Intel AMT state of this system.\"/>\n"
    "        <Property Name=\"ControlMode\" Type=\"IntelComputerSystem.v1_0_0.ControlMode\">\n"
    "          <Annotation Term=\"OData.Permissions\" EnumMember=\"OData.Permission/Read\"/>\n"
    "        </Property>\n"
    "        <Property Name=\"KVMStatus\" Type=\"IntelComputerSystem.v1_0_0.RedirectionStatus\">\n"
    "          <Annotation Term=\"OData.Permissions\" EnumMember=\"OData.Permission/Read\"/>\n"
    "        </Property>\n"
    "        <Property Name=\"SOLStatus\" Type=\"IntelComputerSystem.v1_0_0.RedirectionStatus\">\n"
    "          <Annotation Term=\"OData.Permissions\" EnumMember=\"OData.Permission/Read\"/>\n"
    "        </Property>\n"
    "        <Property Name=\"UserConsentStatus\" Type=\"IntelComputerSystem.v1_0_0.UserConsentStatus\">\n"
    "          <Annotation Term=\"OData.Permissions\" EnumMember=\"OData.Permission/Read\"/>\n"
    "        </Property>\n"
    "        <Property Name=\"KVMConsoleURI\" Type=\"Edm.String\">\n"
    "          <Annotation Term=\"OData.Permissions\" EnumMember=\"OData.Permission/Read\"/>\n"
    "          <Annotation Term=\"OData.IsURL\"/>\n"
    "          <Annotation Term=\"OData.Description\" String=\"WebSocket URI of the KVM stream (RFB) at the relay.\"/>\n"
    "        </Property>\n"
    "      </ComplexType>\n"
    "      <EnumType Name=\"ControlMode\">\n"
    "        <Member Name=\"ACM\"/>\n        <Member Name=\"CCM\"/>\n"
    "      </EnumType>\n"
    "      <EnumType Name=\"RedirectionStatus\">\n"
    "        <Member Name=\"Disabled\"/>\n        <Member Name=\"Enabled\"/>\n"
    "        <Member Name=\"PendingConsent\"/>\n        <Member Name=\"Active\"/>\n"
    "        <Member Name=\"Error\"/>\n"
    "      </EnumType>\n"
    "      <EnumType Name=\"UserConsentStatus\">\n"
    "        <Member Name=\"NotRequired\"/>\n        <Member Name=\"Required\"/>\n"
    "        <Member Name=\"Requested\"/>\n        <Member Name=\"Granted\"/>\n"
    "        <Member Name=\"Denied\"/>\n        <Member Name=\"Timeout\"/>\n"
    "      </EnumType>\n"
    "      <EnumType Name=\"RedirectionMode\">\n"
    "        <Member Name=\"KVM\"/>\n        <Member Name=\"SOL\"/>\n"
    "      </EnumType>\n"
    "      <ComplexType Name=\"RedirectionTokenResponse\">\n"
    "        <Annotation Term=\"OData.AdditionalProperties\" Bool=\"false\"/>\n"
    "        <Property Name=\"RedirectionToken\" Type=\"Edm.String\" Nullable=\"false\"/>\n"
    "        <Property Name=\"ExpirationTime\" Type=\"Edm.DateTimeOffset\" Nullable=\"false\"/>\n"
    "        <Property Name=\"ConsoleURI\" Type=\"Edm.String\"/>\n"
    "      </ComplexType>\n"
    "    </Schema>\n"
    "  </edmx:DataServices>\n"
    "</edmx:Edmx>\n";
