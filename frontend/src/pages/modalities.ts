/** DICOM modality codes offered in search filters (PS3.3 C.7.3.1.1.1, the ones seen in practice). */
export const MODALITIES = ["CR", "CT", "DX", "MG", "MR", "NM", "OT", "PT", "RF", "SC", "SR", "US", "XA"];
