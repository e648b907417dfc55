package platform

const supported = true
