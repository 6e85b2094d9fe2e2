/** @type {AppTypes.Config} */
// OHIF's configuration for the e2e test, as a site would write it for our archive. serve.py
// fills in __DICOMWEB_ROOT__ (the product's /dicomweb on its own origin) and __BEARER_TOKEN__
// (a product API token) when it serves this file; neither is ever written to disk.
//
// OHIF sends `userAuthenticationService.getAuthorizationHeader()` with every DICOMweb request
// (QIDO, metadata, frames, thumbnails). Without OpenID Connect nothing sets it for the study
// list (its `?token=` URL parameter is only read on the viewer's route), so a small inline
// extension sets a static bearer token before the data source initialises. No cookie is used:
// the product allows this origin for DICOMweb with bearer tokens only.
const dicomwebRoot = '__DICOMWEB_ROOT__';
const bearerToken = '__BEARER_TOKEN__';

const staticBearerToken = {
  id: 'triage-static-bearer-token',
  preRegistration({ servicesManager }) {
    servicesManager.services.userAuthenticationService.setServiceImplementation({
      getAuthorizationHeader: () => ({ Authorization: `Bearer ${bearerToken}` }),
    });
  },
};

window.config = {
  name: 'triage e2e',
  routerBasename: null,
  extensions: [staticBearerToken],
  modes: [],
  customizationService: {},
  showStudyList: true,
  maxNumberOfWebWorkers: 2,
  // Both would open a modal over the viewport in a headless browser with software WebGL.
  showWarningMessageForCrossOrigin: false,
  showCPUFallbackMessage: false,
  showLoadingIndicator: true,
  strictZSpacingForVolumeViewport: true,
  investigationalUseDialog: { option: 'never' },
  showErrorDetails: 'always',
  defaultDataSourceName: 'triage',
  dataSources: [
    {
      namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
      sourceName: 'triage',
      configuration: {
        friendlyName: 'Imaging triage archive',
        name: 'triage',
        wadoUriRoot: dicomwebRoot,
        qidoRoot: dicomwebRoot,
        wadoRoot: dicomwebRoot,
        qidoSupportsIncludeField: true,
        imageRendering: 'wadors',
        thumbnailRendering: 'thumbnail',
        thumbnailRequestStrategy: 'fetch',
        enableStudyLazyLoad: true,
        supportsFuzzyMatching: true,
        supportsWildcard: true,
        staticWado: false,
        bulkDataURI: { enabled: true, relativeResolution: 'studies' },
        omitQuotationForMultipartRequest: true,
      },
    },
  ],
  httpErrorHandler: error => {
    console.error(`DICOMweb request failed: ${error.status}`);
  },
};
