/**
 * Realistic sample referrals for the playground demo, as Partner Center holds them: every type, a
 * flame lead, one near expiry, one already accepted and one won in Partner Center, and one that
 * arrives while the demo runs. Ids are fixed, so the demo shows the same leads however often it runs.
 */
import type { ReferralInput } from '../services/partnerCenter/referrals/referral';

const HOUR = 3_600_000;
const ago = (now: Date, hours: number) => new Date(now.getTime() - hours * HOUR).toISOString();

export function demoReferrals(now: Date): ReferralInput[] {
  return [
    {
      id: 'demo-contoso-teams-rooms',
      name: 'Contoso — Teams Rooms rollout',
      qualification: 'Direct',
      createdDateTime: ago(now, 5),
      customerProfile: {
        name: 'Contoso Pharmaceuticals',
        size: '1000to5000employees',
        address: { city: 'Seattle', country: 'US' },
        team: [{ firstName: 'Adele', lastName: 'Vance', email: 'adele.vance@contoso.example', phoneNumber: '+1 206 555 0142' }],
      },
      consentDetails: { consentToContact: true },
      details: {
        notes: 'We want to equip 40 meeting rooms with Teams Rooms before Q2 and need a partner for design and deployment.',
        dealValue: 180000,
        currency: 'USD',
        requirements: { solutions: [{ name: 'Microsoft Teams Rooms' }], industries: ['Healthcare'] },
        customerRequestedContact: true,
      },
    },
    {
      id: 'demo-fabrikam-migration',
      name: 'Fabrikam — datacenter exit to Azure',
      qualification: 'SalesQualified',
      createdDateTime: ago(now, 26),
      customerProfile: {
        name: 'Fabrikam Manufacturing GmbH',
        size: '50to1000employees',
        address: { city: 'München', country: 'DE' },
        team: [{ firstName: 'Erik', lastName: 'Nason', email: 'erik.nason@fabrikam.example', phoneNumber: '+49 89 5550 1234' }],
      },
      consentDetails: { consentToContact: true },
      details: {
        notes: 'Microsoft seller Lidia Holloway qualified this: 120 VMs and SQL Server to migrate before the colocation lease ends in September.',
        dealValue: 450000,
        currency: 'EUR',
        closingDateTime: new Date(now.getTime() + 120 * 24 * HOUR).toISOString(),
        requirements: { solutions: [{ name: 'Azure Migrate' }, { name: 'Azure SQL Managed Instance' }], industries: ['Manufacturing'] },
      },
    },
    {
      id: 'demo-northwind-copilot',
      name: 'Northwind — Copilot readiness workshop',
      qualification: 'MarketingQualified',
      createdDateTime: ago(now, 13 * 24 + 6),
      customerProfile: { name: 'Northwind Traders', size: '10to50employees', address: { city: 'London', country: 'GB' } },
      consentDetails: { consentToContact: false },
      details: {
        notes: 'Downloaded the Copilot adoption kit twice and asked for a readiness assessment at the London AI Tour.',
        requirements: { solutions: [{ name: 'Microsoft 365 Copilot' }], services: ['Workshop'] },
      },
    },
    {
      id: 'demo-adatum-security',
      name: 'A. Datum — security posture review',
      qualification: 'Direct',
      createdDateTime: ago(now, 50),
      customerProfile: {
        name: 'A. Datum Corporation',
        size: '50to1000employees',
        address: { city: 'Toronto', country: 'CA' },
        team: [{ firstName: 'Megan', lastName: 'Bowen', email: 'megan.bowen@adatum.example' }],
      },
      consentDetails: { consentToContact: true },
      details: {
        notes: 'Looking for help with Defender for Cloud and Sentinel after a failed audit.',
        dealValue: 60000,
        currency: 'CAD',
        requirements: { solutions: [{ name: 'Microsoft Sentinel' }, { name: 'Defender for Cloud' }] },
      },
    },
    {
      id: 'demo-tailspin-dynamics',
      name: 'Tailspin Toys — Dynamics 365 Sales',
      qualification: 'SalesQualified',
      createdDateTime: ago(now, 8 * 24),
      status: 'Active',
      substatus: 'Accepted',
      acceptedDateTime: ago(now, 7 * 24),
      customerProfile: { name: 'Tailspin Toys', size: '50to1000employees', address: { city: 'Austin', country: 'US' } },
      consentDetails: { consentToContact: true },
      details: {
        notes: 'Replace a homegrown CRM for 80 sellers.',
        dealValue: 95000,
        currency: 'USD',
        closingDateTime: new Date(now.getTime() + 60 * 24 * HOUR).toISOString(),
        requirements: { solutions: [{ name: 'Dynamics 365 Sales' }] },
      },
      team: [{ firstName: 'Diego', lastName: 'Siciliani', email: 'diego@partner.example' }],
    },
    {
      id: 'demo-woodgrove-data',
      name: 'Woodgrove Bank — Fabric analytics pilot',
      qualification: 'MarketingQualified',
      createdDateTime: ago(now, 12 * 24),
      status: 'Closed',
      substatus: 'Won',
      acceptedDateTime: ago(now, 11 * 24),
      closedDateTime: ago(now, 2 * 24),
      customerProfile: { name: 'Woodgrove Bank', size: 'over10000employees', address: { city: 'Zürich', country: 'CH' } },
      consentDetails: { consentToContact: true },
      details: { notes: 'Pilot of Microsoft Fabric for risk reporting.', dealValue: 250000, currency: 'CHF', requirements: { solutions: [{ name: 'Microsoft Fabric' }] } },
    },
  ];
}

/** A referral that Partner Center sends while the demo runs, so a new card can be seen arriving. */
export function arrivingReferral(now: Date): ReferralInput {
  return {
    id: 'demo-litware-avd',
    name: 'Litware — Azure Virtual Desktop',
    qualification: 'Direct',
    createdDateTime: now.toISOString(),
    customerProfile: {
      name: 'Litware Inc.',
      size: '50to1000employees',
      address: { city: 'Dublin', country: 'IE' },
      team: [{ firstName: 'Isaiah', lastName: 'Langer', email: 'isaiah.langer@litware.example', phoneNumber: '+353 1 555 0199' }],
    },
    consentDetails: { consentToContact: true },
    details: {
      notes: '300 call-centre agents need secure remote desktops by March.',
      dealValue: 140000,
      currency: 'EUR',
      requirements: { solutions: [{ name: 'Azure Virtual Desktop' }] },
      customerRequestedContact: true,
    },
  };
}
