/* types: the HDF5 type of each schema type (schema_h5.h). Files are little-endian whatever the machine; memory
 * types are native, so HDF5 converts on big-endian hosts. */
#include "schema/schema_h5.h"

hid_t tms_schema_h5_file_type(tms_schema_type t) {
  switch (t) {
  case TMS_SCHEMA_U8: return H5T_STD_U8LE;
  case TMS_SCHEMA_I8: return H5T_STD_I8LE;
  case TMS_SCHEMA_I32: return H5T_STD_I32LE;
  case TMS_SCHEMA_I64: return H5T_STD_I64LE;
  case TMS_SCHEMA_U64: return H5T_STD_U64LE;
  case TMS_SCHEMA_F32: return H5T_IEEE_F32LE;
  default: return H5T_IEEE_F64LE;
  }
}

hid_t tms_schema_h5_mem_type(tms_schema_type t) {
  switch (t) {
  case TMS_SCHEMA_U8: return H5T_NATIVE_UINT8;
  case TMS_SCHEMA_I8: return H5T_NATIVE_INT8;
  case TMS_SCHEMA_I32: return H5T_NATIVE_INT32;
  case TMS_SCHEMA_I64: return H5T_NATIVE_INT64;
  case TMS_SCHEMA_U64: return H5T_NATIVE_UINT64;
  case TMS_SCHEMA_F32: return H5T_NATIVE_FLOAT;
  default: return H5T_NATIVE_DOUBLE;
  }
}

int tms_schema_h5_type_is(hid_t dtype, tms_schema_type t) {
  H5T_class_t cls = H5Tget_class(dtype);
  size_t size = H5Tget_size(dtype);
  if (t == TMS_SCHEMA_F32 || t == TMS_SCHEMA_F64) return cls == H5T_FLOAT && size == tms_schema_type_size(t);
  if (t == TMS_SCHEMA_STR || t == TMS_SCHEMA_STRS) return cls == H5T_STRING;
  if (cls != H5T_INTEGER || size != tms_schema_type_size(t)) return 0;
  int is_signed = H5Tget_sign(dtype) == H5T_SGN_2;
  return is_signed == (t == TMS_SCHEMA_I8 || t == TMS_SCHEMA_I32 || t == TMS_SCHEMA_I64);
}
