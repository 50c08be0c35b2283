/* Our OEM CSDL, served at /redfish/v1/schemas/IntelComputerSystem_v1.xml. */
#ifndef RF_OEM_CSDL_H
#define RF_OEM_CSDL_H
extern const char rf_oem_csdl[];
#endif
