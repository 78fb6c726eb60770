"""The billing service: invoices, credit notes, payments, collection, Peppol e-invoices."""
